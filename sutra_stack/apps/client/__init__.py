"""sutra-client (:3000), the web app: in mode "dev" Vite's dev server from the `web/` workspace
(`devserver`), in mode "static" the production build shipped inside this package (`app`), both
with the one `/api` rule: the page calls /api/X and sutra-api receives /X (`API_PREFIX`)."""

API_PREFIX = "/api"
