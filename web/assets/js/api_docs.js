// The API reference page (`/api/docs`): the vendored Swagger UI
// (vendor/swagger-ui-dist-5.35.0, loaded by this page's template only, before
// this module) reading the server's own OpenAPI document. Everything it needs
// is embedded in the binary, so the page works offline, and nothing here may
// send a request to another origin.

const root = document.getElementById('api-reference');

/** Swagger UI's dark theme (`html.dark-mode`) follows the site's: dark unless the system asks for light. */
const light = matchMedia('(prefers-color-scheme: light)');
const followTheme = () => document.documentElement.classList.toggle('dark-mode', !light.matches);
followTheme();
light.addEventListener('change', followTheme);

window.SwaggerUIBundle({
  domNode: root,
  url: root.dataset.spec,
  // The default sends the document's address to validator.swagger.io for a
  // badge. Only the standalone layout (not used here) shows the badge today;
  // null keeps it that way if a later version shows it elsewhere.
  validatorUrl: null,
  // Off by default, said anyway: a `?url=` link must never point this page
  // (and its signed-in cookies' Try it out) at someone else's document.
  queryConfigEnabled: false,
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
});
