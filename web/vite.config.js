import { defineConfig } from 'vite';

// The build goes straight into the Go package that embeds it (../webinbox),
// so the repository holds the built files once. File names carry a hash of
// their content only, so two builds of the same sources are byte-identical
// (test.sh checks the committed files against a fresh build).
export default defineConfig({
  // Relative asset URLs, resolved against the <base href> the Go handler
  // writes into index.html: the inbox works under any mount point.
  base: './',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: '../webinbox/dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // npm run dev: the API of a local "go run . serve".
    proxy: { '/api': { target: 'http://127.0.0.1:8090', ws: false } },
  },
});
