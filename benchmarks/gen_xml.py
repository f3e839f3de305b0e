#!/usr/bin/env python3
"""gen_xml.py OUT MB - write a deterministic XML document of about MB
megabytes: records with attributes, nested elements, text, entities and
comments, so that parsing it allocates and frees a lot (libxml2's
xmlMalloc/xmlFree hooks)."""
import random, sys

out, mb = sys.argv[1], float(sys.argv[2])
rnd = random.Random(8)
words = ['alpha', 'beta', 'gamma', 'delta', 'static', 'call', 'retpoline',
         'trampoline', 'site', 'key', 'patch', 'direct', 'indirect', 'libxml2']
limit = int(mb * 1e6)
with open(out, 'w') as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE catalog>\n<catalog>\n')
    size, i = 0, 0
    while size < limit:
        tags = ' '.join(rnd.choice(words) for _ in range(rnd.randint(1, 6)))
        rec = ('<record id="r%d" kind="%s" weight="%d.%02d">'
               '<name lang="en">%s &amp; %s</name>'
               '<tags>%s</tags>'
               '<items>%s</items>'
               '<!-- record %d --><note><![CDATA[%s < %s]]></note></record>\n') % (
            i, rnd.choice(words), rnd.randint(0, 999), rnd.randint(0, 99),
            rnd.choice(words).title(), rnd.choice(words),
            tags,
            ''.join('<item n="%d" v="%s">%s</item>' % (k, rnd.choice(words), rnd.randint(0, 1 << 20))
                    for k in range(rnd.randint(1, 8))),
            i, rnd.choice(words), rnd.choice(words))
        f.write(rec)
        size += len(rec)
        i += 1
    f.write('</catalog>\n')
