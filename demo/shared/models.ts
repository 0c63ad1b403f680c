// Where the demos load models from. Dev server (`npm run demo`): public/models/ is served at /models/.
// Built site (`npm run build:demo`): every chunk is in demo-dist/assets/ and the models in demo-dist/models/, so the
// URL is relative to the chunk, which keeps demo-dist/ servable from any folder of any static server.
export const modelBaseUrl: string = import.meta.env.DEV
  ? new URL('/models/', location.href).href
  : new URL(/* @vite-ignore */ '../models/', import.meta.url).href;
