import { defineConfig } from "vite";

// The server (verkenner-server --web_root web/dist) serves the build; its Content-Security-Policy
// allows only the app's own scripts and styles, so the build must not inline any.
export default defineConfig({
  build: {
    outDir: "dist",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running verkenner-server --http_listen 127.0.0.1:8080.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
