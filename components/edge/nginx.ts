/** Inputs of the nginx configuration; the defaults are the paths inside the nginx container. */
export interface NginxConfArgs {
  /** The name the Pi is reached by (server_name and the certificate's name). */
  serverName: string;
  /** The app's address on the private Docker network. Default `edge-app:5000`. */
  appUpstream?: string;
  /** Certificate chain (PEM). Default `/etc/nginx/tls/cert.pem`. */
  certificatePath?: string;
  /** Private key (PEM). Default `/etc/nginx/tls/key.pem`. */
  keyPath?: string;
  /** DNS server resolving container names at request time. Default Docker's `127.0.0.11`. */
  resolver?: string;
  /** Sustained requests per second per client address. Default 10. */
  ratePerSecond?: number;
  /** Requests above the rate accepted at once before 429s. Default 20. */
  burst?: number;
  /** Worker user; omit to keep nginx's default. Default `nginx` (the image's user). */
  user?: string;
  /** PID file. Default `/var/run/nginx.pid`. */
  pidPath?: string;
  /** Log directory; the image links access.log and error.log to stdout/stderr. Default `/var/log/nginx`. */
  logDir?: string;
  /** Where temporary files go (client bodies, proxy buffers). Default: nginx's compiled-in paths. */
  tempDir?: string;
  /**
   * Send HSTS (one year). Only with a provided certificate browsers trust: with a self-signed one
   * HSTS would make the certificate warning impossible to click through. Default false.
   */
  hsts?: boolean;
}

/**
 * The whole nginx.conf for the edge: HTTP only redirects to HTTPS (plus a local liveness URL
 * for the container health check); HTTPS with TLS 1.2/1.3 only, per-address rate limiting, and
 * the app proxied through a variable so the name is resolved by Docker's DNS at request time:
 * nginx starts, and answers 502, while the app container is down or being replaced.
 */
export function renderNginxConf(args: NginxConfArgs): string {
  const upstream = args.appUpstream ?? "edge-app:5000";
  const cert = args.certificatePath ?? "/etc/nginx/tls/cert.pem";
  const key = args.keyPath ?? "/etc/nginx/tls/key.pem";
  const rate = args.ratePerSecond ?? 10;
  const logs = args.logDir ?? "/var/log/nginx";
  const burst = args.burst ?? 20;
  const user = args.user === undefined ? "user nginx;\n" : args.user ? `user ${args.user};\n` : "";
  const temp = args.tempDir
    ? ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${args.tempDir}/${t};`).join("\n") + "\n"
    : "";
  return `# Rendered by components/edge/nginx.ts; do not edit on the Pi.
${user}worker_processes auto;
pid ${args.pidPath ?? "/var/run/nginx.pid"};
error_log ${logs}/error.log warn;

events {
  worker_connections 512;
}

http {
  default_type application/octet-stream;
  access_log ${logs}/access.log;
  server_tokens off;
  sendfile on;
  keepalive_timeout 30s;
  client_max_body_size 10m;
${temp}
  # Docker's embedded DNS; names are looked up per request and cached 10 s, so a replaced app
  # container (new address) is found without reloading nginx.
  resolver ${args.resolver ?? "127.0.0.11"} valid=10s ipv6=off;
  resolver_timeout 5s;

  limit_req_zone $binary_remote_addr zone=per_client:10m rate=${rate}r/s;
  limit_req_status 429;

  server {
    listen 80 default_server;
    server_name ${args.serverName};

    # For the container's own health check only.
    location = /nginx-health {
      access_log off;
      allow 127.0.0.1;
      deny all;
      return 200 "ok\\n";
    }

    location / {
      return 301 https://$host$request_uri;
    }
  }

  server {
    listen 443 ssl default_server;
    server_name ${args.serverName};

    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
    ssl_prefer_server_ciphers off;
    ssl_session_cache shared:TLS:5m;
    ssl_session_timeout 1h;
    ssl_session_tickets off;

    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
${args.hsts ? '    add_header Strict-Transport-Security "max-age=31536000" always;\n' : ""}
    set $app http://${upstream};

    location = /health {
      access_log off;
      # Public like every other URL: rate limited too, or it is a free path to the app.
      limit_req zone=per_client burst=${burst} nodelay;
      proxy_pass $app;
      proxy_connect_timeout 3s;
      proxy_read_timeout 5s;
    }

    # Scraped by the Prometheus agent on the private network, never served publicly.
    location = /metrics {
      return 404;
    }

    location / {
      limit_req zone=per_client burst=${burst} nodelay;
      proxy_pass $app;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_connect_timeout 5s;
      proxy_read_timeout 60s;
    }
  }
}
`;
}
