// Node twin of fs_probe.c: `op:path[:text]` arguments, one `<op> <path> => ok …|err <CODE>` line each.
// Operations: fread (readFileSync), readfd (openSync + 1-byte readSync), promises (fs.promises.readFile),
// stream (createReadStream), list (readdirSync), stat (statSync), write (writeFileSync), append,
// mkdir, unlink, access-x (accessSync X_OK), chdir (process.chdir), getcwd (process.cwd).
import fs from "node:fs";

async function run(op, path, text) {
  switch (op) {
    case "fread":
      return fs.readFileSync(path, "utf8");
    case "readfd": {
      const fd = fs.openSync(path, "r");
      try {
        const byte = Buffer.alloc(1);
        let data = "";
        while (fs.readSync(fd, byte, 0, 1, null) === 1) data += byte.toString("latin1");
        return data;
      } finally {
        fs.closeSync(fd);
      }
    }
    case "promises":
      return await fs.promises.readFile(path, "utf8");
    case "stream": {
      let data = "";
      for await (const chunk of fs.createReadStream(path, { encoding: "utf8", highWaterMark: 4 }))
        data += chunk;
      return data;
    }
    case "list":
      return fs.readdirSync(path).sort().join(" ");
    case "stat": {
      const st = fs.statSync(path);
      return st.isDirectory() ? "dir 0" : `file ${st.size}`;
    }
    case "write":
      fs.writeFileSync(path, text);
      return undefined;
    case "append":
      fs.appendFileSync(path, text);
      return undefined;
    case "mkdir":
      fs.mkdirSync(path);
      return undefined;
    case "unlink":
      fs.unlinkSync(path);
      return undefined;
    case "access-x":
      fs.accessSync(path, fs.constants.X_OK);
      return undefined;
    case "chdir":
      process.chdir(path);
      return undefined;
    case "getcwd":
      return process.cwd();
    default:
      return "unknown operation";
  }
}

for (const argument of process.argv.slice(2)) {
  const [op, path, ...rest] = argument.split(":");
  try {
    const result = await run(op, path, rest.join(":"));
    console.log(`${op} ${path} => ok${result === undefined ? "" : ` ${result}`}`);
  } catch (error) {
    console.log(`${op} ${path} => err ${error.code ?? error.message}`);
  }
}
