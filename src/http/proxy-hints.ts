/**
 * The words Postern's proxy messages use to say how to fix things: the settings to change and the
 * reverse-proxy directives to add. Kept in one place so the messages stay consistent and a
 * renamed setting is one edit. The names are the `[admin]` keys of src/config/schema.ts.
 */

export const SETTING = {
  publicUrl: 'admin.public_url',
  trustedProxies: 'admin.trusted_proxies',
  clientIpHeader: 'admin.client_ip_header',
  maxProxyHops: 'admin.max_proxy_hops',
  prefixMode: 'admin.prefix_mode',
} as const;

/** `/gw/` → `/gw`, the form proxies write in X-Forwarded-Prefix and location blocks. */
export function bare(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** Directives for nginx, Caddy (2.5 or newer) and Traefik, per thing the proxy must send. */
export const PROXY_HINT = {
  clientIp:
    'nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;` · Caddy and Traefik send X-Forwarded-For themselves',
  forwardedHeader:
    'nginx has no built-in Forwarded value: send X-Forwarded-For instead and set ' +
    `${SETTING.clientIpHeader} = "x-forwarded-for" · Caddy and Traefik send X-Forwarded-For, not Forwarded`,
  proto:
    'nginx: `proxy_set_header X-Forwarded-Proto $scheme;` on the proxy that terminates TLS · Caddy and Traefik ' +
    'send X-Forwarded-Proto themselves; a proxy behind another one passes the outer value on only if it trusts it ' +
    '(Caddy `trusted_proxies`, Traefik `entryPoints.<name>.forwardedHeaders.trustedIPs`)',
  host:
    'nginx: `proxy_set_header Host $host;` (by default nginx sends the upstream\'s own address) or ' +
    '`proxy_set_header X-Forwarded-Host $host;` · Caddy and Traefik pass the browser\'s Host through unless told ' +
    'otherwise (Caddy `header_up Host ...`, Traefik `passHostHeader: false`)',
  prefix: (prefix: string): string =>
    `nginx: \`proxy_set_header X-Forwarded-Prefix ${bare(prefix)};\` · Caddy: \`handle_path ${bare(prefix)}/*\` with ` +
    `\`header_up X-Forwarded-Prefix ${bare(prefix)}\` · Traefik: the StripPrefix middleware sets X-Forwarded-Prefix itself`,
  keepPath: (prefix: string): string =>
    `nginx: \`location ${prefix} { proxy_pass http://127.0.0.1:PORT; }\` (no path after the port keeps the prefix; ` +
    `or map the cookie with \`proxy_cookie_path\`) · Caddy: \`handle ${bare(prefix)}/*\` rather than \`handle_path\` · ` +
    'Traefik: no StripPrefix middleware',
  httpsRedirect: 'nginx: `return 301 https://$host$request_uri;` in the port-80 server · Caddy and Traefik (with an entryPoint redirection) redirect to https themselves',
} as const;
