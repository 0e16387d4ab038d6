import json, sys
import symgraph as sg
from symgraph import function_cache as fc
from bench.compile_time import train_step_graph
ins, outs, ups = train_step_graph()
f = sg.function(ins, outs, updates=ups)
values = list(f.original[1])
req = fc.Request(f.inputs, values, [s for s, _ in f.updates], "fast_run", (), (), f.backend)
doc = fc._graph_doc(req.inputs + req.updated, req.values, req.shared, values=False)
del doc["ids"]
json.dump({"doc": doc, "reg": fc._registry(), "fp": fc._fingerprint()}, open(sys.argv[1], "w"), indent=1, sort_keys=True)
from symgraph import cache
payload = cache.read_bytes("functions", fc._key(req))
print(len(payload) if payload else None)
g = sg.function(ins, outs, updates=ups)
req2 = fc.Request(f.inputs, values, [s for s, _ in f.updates], "fast_run", (), (), f.backend)
req2.key = fc._key(req2)
print(fc._load(g, req2, payload))
