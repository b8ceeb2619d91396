# imagehost: one image for the API (`serve`), workers (`worker`) and `migrate`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Two glibc malloc arenas instead of 8 per core: libvips's threads otherwise fragment memory and the
# process's RSS creeps up with every batch of images. Blocks of 4 MiB or more (large uploads and
# originals, a big image's decoding buffers) always mapped on their own, so that memory goes back to the
# system once freed (see README, Tuning).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=4194304
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gallery page's static files are read from the source folder at run time.
COPY --from=build /app/src/adapters/http/gallery ./src/adapters/http/gallery
USER node
EXPOSE 3000
# A 128 MiB floor under V8's old-generation limit: the image buffers a thumbnail job allocates count
# against that limit, and above a ~50 MiB heap the default limit left V8 marking almost without pause
# in a long-running worker (see README, Tuning).
ENTRYPOINT ["node", "--initial-old-space-size=128", "dist/src/main.js"]
CMD ["serve"]
