#!/usr/bin/env python3
"""Append rows to messages.tsv from stdin lines 'message || intent || url || kind'."""
import sys, os
out = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "messages.tsv"), "a", encoding="utf-8")
for line in sys.stdin:
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    p = [x.strip() for x in line.split("||")]
    if len(p) != 4:
        print("BAD:", line); continue
    out.write("\t".join(p) + "\n")
