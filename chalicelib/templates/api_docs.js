// The documentation page's start-up: a file, not an inline script, as the pages'
// Content-Security-Policy runs scripts of this origin only (chalicelib/api/html.py).
// Relative URLs: the page works behind any stage prefix and without the internet;
// no online validator badge either.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
});
