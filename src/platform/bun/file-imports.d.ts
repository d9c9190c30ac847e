/** Bun's `import path from "./x.wasm" with { type: "file" }` yields the file's path (inside the executable once compiled). */
declare module "*.wasm" {
  const path: string;
  export default path;
}
