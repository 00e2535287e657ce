import type { Migration } from "./migration.ts";

/**
 * The first schema. Conventions that later migrations should keep:
 *
 * - Tables are `STRICT`, so a wrong type is an error rather than a silent coercion.
 * - JSON columns are `TEXT` with `CHECK (json_valid(...))`; they are encoded and decoded
 *   only in src/store/json.ts.
 * - Timestamps are `INTEGER` nanoseconds since the Unix epoch (CRI's unit); 0 means
 *   "not yet" where CRI says so (`started_at`, `finished_at`).
 * - `ON DELETE CASCADE` is used only where the child row names nothing outside the
 *   database (an image's tags, an image-to-blob link). A row that stands for something
 *   on the host (a container's conmon, bundle, rootfs mount, log; a blob file; a
 *   snapshot directory) is `ON DELETE RESTRICT`: deleting its parent first would drop
 *   the only record of that resource, and a restart could no longer find it to clean
 *   it up (DESIGN.md rule 4). So removing a sandbox means removing its containers
 *   first, explicitly, which is what RemovePodSandbox has to do on the host anyway.
 */
export const initialSchema: Migration = {
  version: 1,
  description: "initial schema",
  up: /* sql */ `
    -- Pod sandboxes. "name" is the reserved name key <name>_<namespace>_<uid>_<attempt>;
    -- inserting the row in state "creating" is what reserves it.
    CREATE TABLE sandboxes (
      id              TEXT    NOT NULL PRIMARY KEY,
      name            TEXT    NOT NULL UNIQUE,
      state           TEXT    NOT NULL
                        CHECK (state IN ('creating', 'ready', 'notready', 'removing')),
      metadata        TEXT    NOT NULL CHECK (json_valid(metadata)),
      config          TEXT    NOT NULL CHECK (json_valid(config)),
      runtime_handler TEXT    NOT NULL DEFAULT '',
      netns           TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(netns)),
      ips             TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(ips)),
      created_at      INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL,
      info            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(info))
    ) STRICT;

    -- Containers. "name" is <name>_<sandbox name>_<sandbox namespace>_<sandbox uid>_<attempt>.
    CREATE TABLE containers (
      id          TEXT    NOT NULL PRIMARY KEY,
      sandbox_id  TEXT    NOT NULL REFERENCES sandboxes (id) ON DELETE RESTRICT,
      name        TEXT    NOT NULL UNIQUE,
      state       TEXT    NOT NULL
                    CHECK (state IN ('creating', 'created', 'running', 'exited', 'unknown')),
      metadata    TEXT    NOT NULL CHECK (json_valid(metadata)),
      image_ref   TEXT    NOT NULL DEFAULT '',
      image_id    TEXT    NOT NULL DEFAULT '',
      config      TEXT    NOT NULL CHECK (json_valid(config)),
      created_at  INTEGER NOT NULL,
      started_at  INTEGER NOT NULL DEFAULT 0,
      finished_at INTEGER NOT NULL DEFAULT 0,
      exit_code   INTEGER NOT NULL DEFAULT 0,
      reason      TEXT    NOT NULL DEFAULT '',
      message     TEXT    NOT NULL DEFAULT '',
      log_path    TEXT    NOT NULL DEFAULT '',
      updated_at  INTEGER NOT NULL,
      info        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(info))
    ) STRICT;
    -- Also what keeps the foreign-key check on sandbox delete from scanning every container.
    CREATE INDEX containers_sandbox_id ON containers (sandbox_id);

    -- Unpacked layers, keyed by OCI chain id; each names its parent layer.
    CREATE TABLE snapshots (
      chain_id   TEXT    NOT NULL PRIMARY KEY,
      parent     TEXT    REFERENCES snapshots (chain_id) ON DELETE RESTRICT,
      diff_id    TEXT    NOT NULL,
      path       TEXT    NOT NULL,
      size       INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
      inodes     INTEGER NOT NULL DEFAULT 0 CHECK (inodes >= 0),
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX snapshots_parent ON snapshots (parent);

    -- Images, keyed by config digest (what CRI calls the image id).
    CREATE TABLE images (
      id              TEXT    NOT NULL PRIMARY KEY,
      manifest_digest TEXT    NOT NULL DEFAULT '',
      size            INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
      config          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
      chain_id        TEXT    REFERENCES snapshots (chain_id) ON DELETE RESTRICT,
      pinned          INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
      created_at      INTEGER NOT NULL,
      info            TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(info))
    ) STRICT;
    CREATE INDEX images_chain_id ON images (chain_id);

    -- Names of an image: repo tags ("docker.io/library/busybox:1.36") and repo digests
    -- ("docker.io/library/busybox@sha256:..."). A name points at exactly one image.
    CREATE TABLE image_refs (
      ref      TEXT NOT NULL PRIMARY KEY,
      image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX image_refs_image_id ON image_refs (image_id);

    -- Content-addressed blobs (manifests, configs, layers) in the content store.
    CREATE TABLE blobs (
      digest     TEXT    NOT NULL PRIMARY KEY,
      size       INTEGER NOT NULL CHECK (size >= 0),
      media_type TEXT    NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      last_used  INTEGER NOT NULL
    ) STRICT;

    -- Which blobs an image needs. Instead of a reference count, which drifts when a
    -- crash lands between two writes, a blob is garbage exactly when no row here names it.
    CREATE TABLE image_blobs (
      image_id TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
      digest   TEXT NOT NULL REFERENCES blobs (digest) ON DELETE RESTRICT,
      PRIMARY KEY (image_id, digest)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX image_blobs_digest ON image_blobs (digest);

    -- Small runtime-wide settings, e.g. the pod CIDR from UpdateRuntimeConfig.
    CREATE TABLE runtime_state (
      key   TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    -- Intent log: a row per operation in progress, deleted when it finishes, so a
    -- restart finds every half-done operation and can finish or undo it.
    -- AUTOINCREMENT so an id is never reused, even after the row is gone.
    CREATE TABLE operations (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      kind       TEXT    NOT NULL,
      object_id  TEXT    NOT NULL,
      step       TEXT    NOT NULL,
      data       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
      started_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX operations_object_id ON operations (object_id);
  `,
};
