/** CNI networking for pods: the driver and the pieces the integrator may need. */
export {
  createCniNetwork,
  NETWORK_NOT_READY,
  type CniNetwork,
  type CniNetworkOptions,
  type PodNetworkRequest,
  type PodNetworkResult,
  type PortMapping,
} from "./cni-network.ts";
export { CniPluginError } from "./plugin-exec.ts";
export { defaultConflist, DEFAULT_CONFLIST_FILE, LOOPBACK_NETWORK } from "./default-conflist.ts";
