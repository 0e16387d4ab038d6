import time, json, sys
t0 = time.perf_counter()
import numpy as np
import symgraph as sg
from symgraph import cache
t1 = time.perf_counter()
from bench.compile_time import train_step_graph
ins, outs, ups = train_step_graph()
t2 = time.perf_counter()
f = sg.function(ins, outs, updates=ups)
t3 = time.perf_counter()
rng = np.random.default_rng(0)
x = rng.random((128, 784), dtype=np.float32); y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
r = f(x, y)
t4 = time.perf_counter()
w = [s for s, _ in ups][0].get_value()
print(json.dumps({"import": t1-t0, "build": t2-t1, "compile": t3-t2, "first_call": t4-t3, "stats": dict(cache.STATS), "loss": float(np.asarray(r).ravel()[0]) if not isinstance(r, list) else float(np.asarray(r[0])), "w": float(w.sum()), "nodes": len(f.fgraph), "log": len(f.rewrite_log)}))
