/** The target's `/etc/resolv.conf`, as glibc reads it (resolv.conf(5)). */

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
}

const MAX_NAMESERVERS = 3; // glibc's MAXNS
const MAX_NDOTS = 15;

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeoutMs: 5000, attempts: 2 };
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/[#;].*$/, "").trim();
    const [keyword, ...values] = line.split(/\s+/);
    switch (keyword) {
      case "nameserver":
        if (values[0] && conf.nameservers.length < MAX_NAMESERVERS) conf.nameservers.push(values[0]);
        break;
      case "domain":
        if (values[0]) conf.search = [values[0]];
        break;
      case "search":
        conf.search = values.filter(Boolean);
        break;
      case "options":
        for (const option of values) applyOption(conf, option);
        break;
    }
  }
  if (conf.nameservers.length === 0) conf.nameservers.push("127.0.0.1");
  return conf;
}

function applyOption(conf: ResolvConf, option: string): void {
  const [name, value] = option.split(":");
  const number = Number(value);
  if (value === undefined || !Number.isInteger(number) || number < 0) return;
  if (name === "ndots") conf.ndots = Math.min(number, MAX_NDOTS);
  else if (name === "timeout") conf.timeoutMs = Math.min(Math.max(number, 1), 30) * 1000;
  else if (name === "attempts") conf.attempts = Math.min(Math.max(number, 1), 5);
}

/** The names to try for `name`, in order: absolute names as they are, then search-list rules by ndots. */
export function candidateNames(name: string, conf: Pick<ResolvConf, "search" | "ndots">): string[] {
  if (name.endsWith(".")) return [name.slice(0, -1)];
  const dots = name.split(".").length - 1;
  const searched = conf.search.map((domain) => `${name}.${domain.replace(/\.$/, "")}`);
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}
