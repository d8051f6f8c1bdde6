/// <reference types="vitest/config" />
// The client's Vite config: the dev server (`npm run dev`, run by the `client` service in mode "dev"),
// the production build (into the Python package, which serves it in mode "static") and Vitest.
// Addresses come from the same SUTRA_* variables every service of the stack reads.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { API_PREFIX, apiTarget, stripApiPrefix } from "./src/apiRule.ts";

const env = process.env;
const host = env.SUTRA_CLIENT_HOST || "127.0.0.1";
const port = Number(env.SUTRA_CLIENT_PORT || 3000);

export default defineConfig({
  plugins: [react()],
  server: {
    host,
    port,
    strictPort: true, // a taken port is an error, never another port
    // allowedHosts and fs.strict stay at Vite's defaults: only localhost names and this host are served
    // (DNS rebinding), and no file outside the workspace is.
    proxy: {
      [API_PREFIX]: {
        target: apiTarget(env.SUTRA_API_HOST, env.SUTRA_API_PORT),
        changeOrigin: false,
        rewrite: stripApiPrefix,
      },
    },
  },
  build: {
    outDir: fileURLToPath(new URL("../../sutra_stack/apps/client/static", import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
