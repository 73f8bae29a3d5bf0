import re, csv
listed = set(re.findall(r'https?://[^ |]+', open('tests/data/REAL_SOURCES.md').read()))
rows = [l.rstrip('\n').split('\t') for l in open('corpus/train/messages.tsv') if not l.startswith('#')]
bad = [r for r in rows if r[2] in listed or re.search(r'zhihu\.com|baidu\.com|ptt\.cc|mobile01\.com|dcard\.tw|discuss\.com\.hk|\.gov\.cn', r[2]) or len(r[0]) > 200]
print(len(rows), 'rows;', len(bad), 'bad;', len(rows) - len({r[0] for r in rows}), 'duplicate messages'); assert not bad
