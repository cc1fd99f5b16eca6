// Builds the console into web/dist, which the API process serves at / (same origin as /v1).
// `npm run web:dev` serves it with hot reload on :5173 and proxies the API paths to BAZAAR_API_URL
// (default http://localhost:3000, where `npm start` listens).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.BAZAAR_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  server: {
    port: 5173,
    proxy: Object.fromEntries(['/v1', '/openapi.json', '/health', '/docs'].map((path) => [path, api])),
  },
});
