# Regenerates lib/gguf/architectures.ts from deps/llama.cpp/src/llama-arch.cpp.
import re
src = open('deps/llama.cpp/src/llama-arch.cpp').read()
m = re.search(r'LLM_ARCH_NAMES\s*=\s*\{(.*?)\};', src, re.S)
names = [n for n in re.findall(r'\{\s*LLM_ARCH_\w+\s*,\s*"([^"]+)"\s*\}', m.group(1)) if n != '(unknown)']
out = "// Architectures the pinned llama.cpp loads (LLM_ARCH_NAMES in src/llama-arch.cpp).\n// Regenerate with scripts/gen-architectures.py when the pin moves.\nexport const LLAMA_ARCHITECTURES: ReadonlySet<string> = new Set([\n"
line = "  "
for n in names:
    s = '"%s", ' % n
    if len(line) + len(s) > 100:
        out += line.rstrip() + "\n"
        line = "  "
    line += s
out += line.rstrip() + "\n]);\n"
open('lib/gguf/architectures.ts', 'w').write(out)
