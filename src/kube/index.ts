/** The Kubernetes control plane; see README.md. */
export {
  AGENT_KUBE_ENV,
  connectThroughKube,
  intproxyAgentAddress,
  type KubeAgentConnection,
} from "./connect.ts";
export { KubeError } from "./errors.ts";
