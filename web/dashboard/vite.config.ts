/// <reference types="vitest/config" />
// The dashboard's Vite config: the production build lands inside the Python package
// (sutra_stack/apps/control/static), which sutra-control serves at its own "/"; Vitest runs in jsdom.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../../sutra_stack/apps/control/static", import.meta.url)),
    emptyOutDir: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
