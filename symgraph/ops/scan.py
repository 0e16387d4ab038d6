def scan(*a, **k): raise NotImplementedError
