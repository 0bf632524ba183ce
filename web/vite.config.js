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
    rolldownOptions: {
      // Two entries: the inbox (index.html) and the site badge
      // (src/badge.js), which shares only the SDK with the inbox.
      input: { index: 'index.html', badge: 'src/badge.js' },
      output: {
        // The badge is embedded by site pages under a name that must not
        // change: badge.js at the root of the build (served without
        // "immutable"); it imports the hashed shared chunk relatively, so
        // it works under any mount point.
        entryFileNames: (chunk) => (chunk.name === 'badge' ? 'badge.js' : 'assets/[name]-[hash].js'),
        // The chunk both entries share is the SDK (plus the badge's texts).
        chunkFileNames: (chunk) =>
          chunk.moduleIds.some((id) => id.includes('/node_modules/pocketbase/')) ? 'assets/pocketbase-[hash].js' : 'assets/[name]-[hash].js',
      },
    },
  },
  server: {
    // npm run dev: the API of a local "go run . serve".
    proxy: { '/api': { target: 'http://127.0.0.1:8090', ws: false } },
  },
});
