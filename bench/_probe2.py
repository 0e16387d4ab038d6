import cProfile, pstats, time
import numpy as np
import symgraph as sg
from bench.compile_time import train_step_graph
ins, outs, ups = train_step_graph()
pr = cProfile.Profile(); pr.enable()
f = sg.function(ins, outs, updates=ups)
rng = np.random.default_rng(0)
x = rng.random((128, 784), dtype=np.float32); y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 128)]
f(x, y)
pr.disable()
pstats.Stats(pr).sort_stats("cumulative").print_stats(35)
from symgraph import cache; print(dict(cache.STATS))
