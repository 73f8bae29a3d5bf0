"""Build corpus/train/messages.tsv from raw.tsv (hand-collected candidates).

Drops: rows whose page is listed in tests/data/REAL_SOURCES.md, exact or
near duplicates (difflib ratio >= 0.75 after stripping punctuation) of
tests/data/real_language.yml or data/nlu/*.yml, duplicates inside the set,
messages over 200 characters, and intents the domain does not know.
"""
import difflib, glob, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
INTENTS = set(re.findall(r'^\s+-\s+(\w+)\s*$', (ROOT / 'domain.yml').read_text().split('intents:')[1].split('\n\n')[0], re.M))
listed = set(re.findall(r'https?://[^ |]+', (ROOT / 'tests/data/REAL_SOURCES.md').read_text()))

def items(path):
    for line in Path(path).read_text().splitlines():
        m = re.match(r'\s*-\s+(.*)', line)
        if m:
            yield re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', m.group(1)).strip().strip('"\'')

def norm(s):
    return re.sub(r'[\W_]+', '', s).lower()

held = [(norm(t), 'test') for t in items(ROOT / 'tests/data/real_language.yml')]
for f in glob.glob(str(ROOT / 'data/nlu/*.yml')):
    held += [(norm(t), 'nlu') for t in items(f)]

out, seen, dropped = [], [], []
for line in (HERE / 'raw.tsv').read_text().splitlines():
    if not line.strip():
        continue
    msg, intent, url, kind = line.split('\t')
    n = norm(msg)
    why = None
    if url in listed: why = 'listed page'
    elif intent not in INTENTS: why = 'unknown intent ' + intent
    elif len(msg) > 200: why = 'too long'
    elif any(n == s for s in seen): why = 'duplicate'
    else:
        best = max((difflib.SequenceMatcher(None, n, h).ratio(), src) for h, src in held)
        if best[0] >= 0.75: why = f'near {best[1]} ({best[0]:.2f})'
        else:
            near = [s for s in seen if difflib.SequenceMatcher(None, n, s).ratio() >= 0.8]
            if near: why = 'near duplicate in set'
    if why:
        dropped.append((why, msg)); continue
    seen.append(n)
    out.append((msg, intent, url, kind))

with open(HERE / 'messages.tsv', 'w') as f:
    f.write('# message\tintent\turl\tkind\n')
    for r in out:
        f.write('\t'.join(r) + '\n')
for why, msg in dropped:
    print('dropped:', why, '|', msg, file=sys.stderr)
print(len(out), 'messages written')
