/** The product version; the default agent and CLI images are tagged with it. */
import packageJson from "../../package.json" with { type: "json" };

export const VERSION: string = packageJson.version;
