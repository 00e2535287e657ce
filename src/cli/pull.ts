import { defineCommand } from "citty";
import { UsageError, clientArgs, clientFrom, print } from "./client-args.ts";
import { pullAuthFrom } from "./pull-auth.ts";
import { progressModeFor, watchPull } from "./pull-watch.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...clientArgs,
  image: { type: "positional" as const, description: "image reference, e.g. docker.io/library/busybox:1.36", required: true },
  creds: { type: "string" as const, description: "registry credentials, USER:PASSWORD" },
  auth: { type: "string" as const, description: "registry credentials as base64 of USER:PASSWORD" },
  "identity-token": { type: "string" as const, description: "identity token for the registry" },
  "registry-token": { type: "string" as const, description: "bearer token for the registry" },
  "pull-timeout": { type: "string" as const, description: "give up after this many seconds; 0 = no limit", default: "0" },
};

/** How long after PullImage returns the progress watch may take to deliver its last events. */
const SETTLE_MS = 500;

/**
 * `skiff pull REF`: PullImage, like `crictl pull`. Against skiff, per-layer progress on
 * stderr (watched over skiff.v1.Images/WatchPull, started before the pull so it sees it
 * from the start); the image id on stdout.
 */
export const pullCommand = defineCommand({
  meta: { name: "pull", description: "pull an image (PullImage), with progress when the endpoint is skiff" },
  args,
  async run({ args: a, rawArgs }) {
    const [ref] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "image" }) as [string];
    const auth = pullAuthFrom({ creds: a.creds, auth: a.auth, identityToken: a["identity-token"], registryToken: a["registry-token"] });
    const limit = Number(a["pull-timeout"]);
    if (!Number.isFinite(limit) || limit < 0) throw new UsageError("--pull-timeout must be a number of seconds (0 = no limit)");

    const client = clientFrom(a);
    const stopWatch = new AbortController();
    const watched = watchPull(client, ref, stopWatch.signal, {
      mode: progressModeFor(process.stderr, process.env),
      write: (text) => process.stderr.write(text),
      columns: () => process.stderr.columns,
    });
    try {
      // Not --timeout: a big image takes longer. timeoutMs 0 means no deadline at all.
      const res = await client.image.pullImage({ image: { image: ref }, auth }, { timeoutMs: limit * 1000 });
      await Promise.race([watched, Bun.sleep(SETTLE_MS)]);
      stopWatch.abort();
      await watched;
      if ((a.output ?? "table") === "table") console.log(`Image is up to date for ${res.imageRef}`);
      else print({ imageRef: res.imageRef }, a);
    } finally {
      stopWatch.abort();
      await watched;
      client.close();
    }
  },
});
