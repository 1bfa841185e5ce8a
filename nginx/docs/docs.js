// Starts Swagger UI (swagger-ui-dist) on the platform's contract. A file of
// its own because the page's Content-Security-Policy (nginx/nginx.conf.in)
// allows no inline script. Read-only: "Try it out" is off, and nothing is
// fetched from anywhere but this server (no online validator badge).
window.addEventListener('load', function () {
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.yaml',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayOperationId: true,
    supportedSubmitMethods: [],
    validatorUrl: null,
  });
});
