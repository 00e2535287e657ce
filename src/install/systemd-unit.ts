/**
 * The systemd unit `skiff install` writes. Pure.
 *
 * Facts it follows, from containerd's containerd.service and CRI-O's crio.service:
 * - `KillMode=process`: stopping or restarting skiff kills only skiff. Containers run
 *   under conmon (and the infra processes under runc) in skiff's cgroup; with the default
 *   `control-group` mode systemd would kill every pod on `systemctl restart skiff`.
 * - `Delegate=yes`: systemd leaves the cgroups below the unit to skiff and runc.
 * - `OOMScoreAdjust=-999`: the kernel's OOM killer takes a container before the runtime.
 * - `TasksMax=infinity`, `LimitNPROC=infinity`, `LimitCORE=infinity`: no unit-wide cap on
 *   the processes of every pod together; pods get their own limits from their cgroups.
 * - No `LimitNOFILE`: like containerd since its commit 3ca39ef01, the systemd default
 *   (1024 soft, 524288 hard) stands; Bun raises its own soft limit to the hard one at
 *   start, and containers get RLIMIT_NOFILE from the OCI spec (1024), not from skiff.
 * - `ExecStartPre=-/sbin/modprobe overlay`: container root filesystems are overlay mounts;
 *   the `-` lets a kernel with overlay built in go on.
 * - `Type=exec`, not `notify`: skiff does not send sd_notify(READY=1), so systemd counts
 *   it started once it has been executed. A kubelet that starts before the socket is up
 *   retries its connection.
 * - `Restart=always`, `RestartSec=5`: as containerd; a restart does not touch the pods.
 * - `Before=kubelet.service`: the runtime comes up first when both start at boot.
 */

export const UNIT_NAME = "skiff.service";
/** Where the unit goes; /etc/systemd/system is for units the administrator installs. */
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

/** The text of skiff.service for the skiff installed at `binary` (an absolute path); it reads the default config. */
export function systemdUnit(binary: string): string {
  return `# Written by \`skiff install\`; \`skiff uninstall\` removes it. Change settings in a
# drop-in (systemctl edit skiff) rather than here: a new install rewrites this file.
[Unit]
Description=skiff container runtime (CRI)
Wants=network-online.target
After=network-online.target
Before=kubelet.service

[Service]
Type=exec
ExecStartPre=-/sbin/modprobe overlay
ExecStart=${binary} serve
Restart=always
RestartSec=5
# Pods run under conmon and runc in this unit's cgroup: stopping skiff must not stop them.
KillMode=process
Delegate=yes
OOMScoreAdjust=-999
TasksMax=infinity
LimitNPROC=infinity
LimitCORE=infinity

[Install]
WantedBy=multi-user.target
`;
}

/** /etc/crictl.yaml pointing crictl at skiff's socket. */
export function crictlConfig(socket: string): string {
  const endpoint = socket.startsWith("unix://") ? socket : `unix://${socket}`;
  return `# Written by \`skiff install\`: crictl talks to skiff.
runtime-endpoint: ${endpoint}
image-endpoint: ${endpoint}
timeout: 10
`;
}
