"""cpython_workload.py [SCALE] - the pure-Python workload of cpython.sh:
an allocation loop (small dicts, lists, tuples, strings and instances made
and dropped: the allocator hooks and the type slots' indirect calls) and a
JSON loop (dumps and loads of a list of records). Prints a checksum."""
import json
import sys

scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def alloc_loop(n):
    total = 0
    for i in range(n):
        d = {"a": i, "b": [i, i + 1], "c": (i, str(i))}
        lst = [Point(i, j) for j in range(4)]
        s = "%d-%s" % (i, d["c"][1])
        total += len(d) + len(lst) + len(s) + lst[-1].y
    return total


def json_loop(n):
    records = [{"id": i, "name": "item%d" % i, "tags": ["x", "y", str(i)],
                "value": i * 0.5, "ok": i % 2 == 0} for i in range(200)]
    total = 0
    for _ in range(n):
        text = json.dumps(records)
        back = json.loads(text)
        total += len(text) + len(back)
    return total


print(alloc_loop(150000 * scale) + json_loop(300 * scale))
