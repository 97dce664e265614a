/** Inputs of the nginx configuration; the defaults are the paths inside the nginx container. */
export interface NginxConfArgs {
  /** The name the Pi is reached by (server_name, the certificate's name, the redirects' target). */
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
  /**
   * Addresses or CIDR ranges of reverse proxies in front of nginx whose `X-Forwarded-For` is
   * believed (realip module, recursive: the rightmost address not in this list is the client).
   * Default none: the client is the socket's address, and whatever `X-Forwarded-For`,
   * `X-Real-IP` or `Forwarded` a client sends is replaced before the app sees it.
   */
  trustedProxies?: string[];
  /**
   * App paths never served publicly: each one and everything under it answers 404 whatever the
   * case, percent-encoding, duplicate slashes or dot segments. Default `["/metrics"]` (scraped by
   * the Prometheus agent on the private network, not through nginx).
   */
  internalPaths?: string[];
  /**
   * Content-Security-Policy sent on every HTTPS response; `""` sends none. Default
   * `default-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'`.
   */
  contentSecurityPolicy?: string;
  /** Plain HTTP port (redirects and the local liveness URL). Default 80. */
  httpPort?: number;
  /** HTTPS port. Default 443. */
  httpsPort?: number;
  /** Address nginx listens on. Default: every address. */
  listenAddress?: string;
}

export const DEFAULT_CONTENT_SECURITY_POLICY =
  "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value))
    throw new Error(`renderNginxConf: ${what} ${JSON.stringify(value)} is not allowed in nginx.conf`);
  return value;
}

/**
 * A PCRE (matched case-insensitively) for the normalised `$uri` of a request for one of `paths`
 * or anything under it. nginx has already decoded, merged slashes and resolved dot segments in
 * `$uri`; the pattern still accepts percent-encoded letters, slashes and dots, so an app that
 * decodes twice cannot be reached through `%256D…` either. A path continues only with a letter,
 * digit, `_` or `-`: `/metrics/`, `/metrics;x`, `/metrics.json` and `/metrics%…` are refused,
 * `/metricsboard` is not.
 */
function internalPathPattern(paths: string[]): string {
  const hex = (n: number) => n.toString(16);
  const char = (c: string): string => {
    if (c === "/") return "(?:/|%2f)(?:[/.]|%2f|%2e)*";
    const code = c.charCodeAt(0);
    if (/[a-z]/i.test(c)) {
      const lower = c.toLowerCase().charCodeAt(0);
      const upper = c.toUpperCase().charCodeAt(0);
      return `(?:${c.toLowerCase()}|%[${hex(lower >> 4)}${hex(upper >> 4)}]${hex(lower & 15)})`;
    }
    return `(?:${/[0-9_~-]/.test(c) ? c : `[${c}]`}|%${hex(code)})`;
  };
  const alternatives = paths.map((p) => [...p.replace(/\/+$/, "")].map(char).join(""));
  return `^(?:${alternatives.join("|")})(?:$|[^a-z0-9_-])`;
}

/**
 * The whole nginx.conf for the edge.
 *
 * - HTTP only redirects to `https://<serverName>` (never to the client's Host), plus a local
 *   liveness URL for the container health check.
 * - HTTPS with TLS 1.2/1.3 only. A default server refuses every other name: the TLS handshake
 *   for another SNI (when `serverName` is a DNS name) and 421 for another Host header.
 * - The client address is the socket's unless the request comes from a trusted proxy; the app
 *   gets it as `X-Real-IP` and `X-Forwarded-For` (replaced, never appended to the client's), and
 *   rate limiting counts per that address, `/health` included.
 * - Internal paths answer 404 whatever their spelling (see `internalPathPattern`). The app gets
 *   the URI nginx checked: each proxied location rewrites to the normalised `$uri`, so nginx
 *   sends it re-escaped instead of the client's raw `$request_uri`; `//metrics` or `/x/../metrics`
 *   cannot mean one thing to nginx and another to the app.
 * - Security headers (CSP, Referrer-Policy, nosniff, X-Frame-Options, HSTS when asked) on every
 *   HTTPS response, errors included; the app's own copies are hidden so there is one of each.
 * - The app is proxied through a variable so the name is resolved by Docker's DNS at request
 *   time: nginx starts, and answers 502, while the app container is down or being replaced.
 */
export function renderNginxConf(args: NginxConfArgs): string {
  const serverName = check(args.serverName, /^[A-Za-z0-9.-]+$/, "serverName").toLowerCase();
  const upstream = check(args.appUpstream ?? "edge-app:5000", /^[A-Za-z0-9.-]+(:\d+)?$/, "appUpstream");
  const cert = args.certificatePath ?? "/etc/nginx/tls/cert.pem";
  const key = args.keyPath ?? "/etc/nginx/tls/key.pem";
  const rate = args.ratePerSecond ?? 10;
  const logs = args.logDir ?? "/var/log/nginx";
  const burst = args.burst ?? 20;
  const user = args.user === undefined ? "user nginx;\n" : args.user ? `user ${args.user};\n` : "";
  const temp = args.tempDir
    ? ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .map((t) => `  ${t}_temp_path ${args.tempDir}/${t};`)
        .join("\n") + "\n"
    : "";
  const proxies = (args.trustedProxies ?? []).map((p) =>
    check(p, /^([0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)(\/\d{1,3})?$/, "trusted proxy"),
  );
  const internal = (args.internalPaths ?? ["/metrics"]).map((p) =>
    check(p, /^(\/[A-Za-z0-9._~-]+)+\/?$/, "internal path"),
  );
  const csp = check(
    args.contentSecurityPolicy ?? DEFAULT_CONTENT_SECURITY_POLICY,
    /^[^"\\$\r\n{}]*$/,
    "contentSecurityPolicy",
  );
  const httpPort = args.httpPort ?? 80;
  const httpsPort = args.httpsPort ?? 443;
  const listen = args.listenAddress
    ? `${check(args.listenAddress, /^[0-9.]+$|^\[[0-9a-fA-F:]+\]$/, "listenAddress")}:`
    : "";
  const origin = `https://${serverName}${httpsPort === 443 ? "" : `:${httpsPort}`}`;

  const realIp = proxies.length
    ? `  # Behind trusted proxies: the client is the rightmost X-Forwarded-For address not among them.
${proxies.map((p) => `  set_real_ip_from ${p};`).join("\n")}
  real_ip_header X-Forwarded-For;
  real_ip_recursive on;
`
    : `  # No trusted proxy: the client is the socket's address; X-Forwarded-For from clients is ignored.
`;

  // Repeated in each HTTPS server: a server (or location) with any add_header of its own
  // inherits none from the level above.
  const headers = [
    ...(csp ? [["Content-Security-Policy", `"${csp}"`]] : []),
    ["Referrer-Policy", "strict-origin-when-cross-origin"],
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
    ...(args.hsts ? [["Strict-Transport-Security", '"max-age=31536000"']] : []),
  ];
  const securityHeaders = headers.map(([name, value]) => `    add_header ${name} ${value} always;\n`).join("");
  const hideAppHeaders = headers.map(([name]) => `    proxy_hide_header ${name};\n`).join("");

  // A DNS name: handshakes for any other SNI (or none) are refused outright. An address: clients
  // send no SNI, so the default server has to present the certificate too.
  const catchAllTls = IPV4.test(serverName)
    ? `    ssl_certificate ${cert};\n    ssl_certificate_key ${key};\n`
    : "    ssl_reject_handshake on;\n";

  const proxied = (extra: string) => `      rewrite ^ $uri break;
      limit_req zone=per_client burst=${burst} nodelay;
      proxy_pass $app;
${extra}`;

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

  # Here, not per server: the protocols are those of the server that takes the handshake.
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
  ssl_prefer_server_ciphers off;
  ssl_session_cache shared:TLS:5m;
  ssl_session_timeout 1h;
  ssl_session_tickets off;

${realIp}
  # Keyed on $binary_remote_addr: the real client address once the realip module has run.
  limit_req_zone $binary_remote_addr zone=per_client:10m rate=${rate}r/s;
  limit_req_status 429;

  # Internal app paths (${internal.join(", ")}) and everything under them, on the normalised URI.
  map $uri $edge_internal_path {
    default 0;
    "~*${internalPathPattern(internal)}" 1;
  }

  server {
    listen ${listen}${httpPort} default_server;
    server_name ${serverName};

    # For the container's own health check only.
    location = /nginx-health {
      access_log off;
      allow 127.0.0.1;
      deny all;
      return 200 "ok\\n";
    }

    # To the configured name whatever Host the client sent.
    location / {
      return 301 ${origin}$request_uri;
    }
  }

  # Any other name: refused.
  server {
    listen ${listen}${httpsPort} ssl default_server;
${catchAllTls}
${securityHeaders}
    return 421;
  }

  server {
    listen ${listen}${httpsPort} ssl;
    server_name ${serverName};

    ssl_certificate ${cert};
    ssl_certificate_key ${key};

${securityHeaders}${hideAppHeaders}    proxy_hide_header X-Powered-By;

    if ($edge_internal_path) {
      return 404;
    }

    set $app http://${upstream};

    # Inherited by every location below (none sets its own). The client's forwarding headers are
    # replaced or dropped: the app only trusts what nginx says.
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto https;
    proxy_set_header X-Forwarded-Host "";
    proxy_set_header X-Forwarded-Port "";
    proxy_set_header X-Forwarded-Prefix "";
    proxy_set_header Forwarded "";

    # Each proxied location rewrites to $uri: nginx then sends the normalised, re-escaped URI
    # it matched on instead of the client's raw one.
    location = /health {
      access_log off;
      # Public like every other URL: rate limited too, or it is a free path to the app.
${proxied("      proxy_connect_timeout 3s;\n      proxy_read_timeout 5s;")}
    }

    location / {
${proxied("      proxy_connect_timeout 5s;\n      proxy_read_timeout 60s;")}
    }
  }
}
`;
}

/** The nginx inputs `platform:edge` decides; the component and `--emit` both render from these. */
export function nginxConfArgs(
  edge: { host: string; trustedProxies: string[]; internalPaths: string[]; contentSecurityPolicy: string },
  trustedCertificate: boolean,
): NginxConfArgs {
  return {
    serverName: edge.host,
    hsts: trustedCertificate,
    trustedProxies: edge.trustedProxies,
    internalPaths: edge.internalPaths,
    contentSecurityPolicy: edge.contentSecurityPolicy,
  };
}
