"""Tests for keras_front/optimizers.py: each rule's first 20 steps against a NumPy version of
Keras 1.2's formula written here, clipping, constraints, live learning-rate changes,
state save/restore, configs and lookup by name."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import constraints, optimizers

RNG = np.random.RandomState(0)
X = RNG.randn(6, 3)
Y = RNG.randn(6, 2)
W0 = RNG.randn(3, 2)
B0 = RNG.randn(2)
STEPS = 20


@pytest.fixture
def float64():
    """Run with float64 variables so the comparison with NumPy can be tight."""
    old = K.floatx()
    K.set_floatx("float64")
    yield
    K.set_floatx(old)


# ------------------------------------------------------------ the problem and its gradient


def numpy_grads(w, b):
    """Gradient of mean((X @ w + b - Y)**2) (+ 0.1 * sum(w**3), to be non-quadratic)."""
    r = X @ w + b - Y
    scale = 2.0 / r.size
    return [scale * X.T @ r + 0.3 * w ** 2, scale * r.sum(axis=0)]


def symbolic_problem():
    w = K.variable(W0, name="W")
    b = K.variable(B0, name="b")
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 2))
    loss = K.mean(K.square(K.dot(x, w) + b - y)) + 0.1 * K.sum(w ** 3)
    return w, b, x, y, loss


def compile_step(opt, constraint_on_w=None, keras2=False):
    w, b, x, y, loss = symbolic_problem()
    if keras2:
        if constraint_on_w is not None:
            K.set_keras_attr(w, "constraint", constraint_on_w)
        updates = opt.get_updates(loss, [w, b])
    else:
        cons = {w: constraint_on_w} if constraint_on_w is not None else {}
        updates = opt.get_updates([w, b], cons, loss)
    f = K.function([x, y], [loss], updates=updates)
    return f, w, b


# ------------------------------------------------------------ Keras 1.2's rules in NumPy


class NumpyRule:
    """Keras 1.2's update rules; `step(params, grads)` returns the new parameters."""

    def __init__(self, name, lr=None, decay=0.0, clipnorm=None, clipvalue=None,
                 nonneg_w=False, **hyper):
        defaults = {"SGD": 0.01, "RMSprop": 0.001, "Adagrad": 0.01, "Adadelta": 1.0,
                    "Adam": 0.001, "Adamax": 0.002, "Nadam": 0.002}
        self.name, self.lr, self.decay = name, defaults[name] if lr is None else lr, decay
        self.clipnorm, self.clipvalue, self.nonneg_w = clipnorm, clipvalue, nonneg_w
        self.h = hyper
        self.it = 0
        self.state = None
        self.m_schedule = 1.0

    def clip(self, grads):
        if self.clipnorm:
            norm = np.sqrt(sum((g ** 2).sum() for g in grads))
            if norm >= self.clipnorm:
                grads = [g * self.clipnorm / norm for g in grads]
        if self.clipvalue:
            grads = [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def step(self, params, grads):
        grads = self.clip(grads)
        if self.state is None:
            self.state = [[np.zeros_like(p) for p in params] for _ in range(3)]
        lr = self.lr / (1.0 + self.decay * self.it)
        t = self.it + 1
        new = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            new.append(getattr(self, self.name.lower())(i, p, g, lr, t))
        if self.name == "Nadam":
            self.m_schedule *= self.mu(t)
        self.it += 1
        if self.nonneg_w:
            new[0] = new[0] * (new[0] >= 0)
        return new

    def sgd(self, i, p, g, lr, t):
        mom, nesterov = self.h.get("momentum", 0.0), self.h.get("nesterov", False)
        v = mom * self.state[0][i] - lr * g
        self.state[0][i] = v
        return p + mom * v - lr * g if nesterov else p + v

    def rmsprop(self, i, p, g, lr, t):
        rho, eps = self.h.get("rho", 0.9), self.h.get("epsilon", 1e-8)
        a = self.state[0][i] = rho * self.state[0][i] + (1 - rho) * g ** 2
        return p - lr * g / (np.sqrt(a) + eps)

    def adagrad(self, i, p, g, lr, t):
        a = self.state[0][i] = self.state[0][i] + g ** 2
        return p - lr * g / (np.sqrt(a) + self.h.get("epsilon", 1e-8))

    def adadelta(self, i, p, g, lr, t):
        rho, eps = self.h.get("rho", 0.95), self.h.get("epsilon", 1e-8)
        a = self.state[0][i] = rho * self.state[0][i] + (1 - rho) * g ** 2
        d = self.state[1][i]
        u = g * np.sqrt(d + eps) / np.sqrt(a + eps)
        self.state[1][i] = rho * d + (1 - rho) * u ** 2
        return p - lr * u

    def adam(self, i, p, g, lr, t):
        b1, b2, eps = self.h.get("beta_1", 0.9), self.h.get("beta_2", 0.999), 1e-8
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = self.state[0][i] = b1 * self.state[0][i] + (1 - b1) * g
        v = self.state[1][i] = b2 * self.state[1][i] + (1 - b2) * g ** 2
        if self.h.get("amsgrad"):
            v = self.state[2][i] = np.maximum(self.state[2][i], v)
        return p - lr_t * m / (np.sqrt(v) + eps)

    def adamax(self, i, p, g, lr, t):
        b1, b2 = self.h.get("beta_1", 0.9), self.h.get("beta_2", 0.999)
        m = self.state[0][i] = b1 * self.state[0][i] + (1 - b1) * g
        u = self.state[1][i] = np.maximum(b2 * self.state[1][i], np.abs(g))
        return p - lr / (1 - b1 ** t) * m / (u + 1e-8)

    def mu(self, t):
        return 0.9 * (1 - 0.5 * 0.96 ** (t * self.h.get("schedule_decay", 0.004)))

    def nadam(self, i, p, g, lr, t):
        b2 = 0.999
        mu_t, mu_t1 = self.mu(t), self.mu(t + 1)
        sched_new = self.m_schedule * mu_t
        sched_next = sched_new * mu_t1
        m = self.state[0][i] = 0.9 * self.state[0][i] + 0.1 * g
        v = self.state[1][i] = b2 * self.state[1][i] + (1 - b2) * g ** 2
        m_bar = (1 - mu_t) * g / (1 - sched_new) + mu_t1 * m / (1 - sched_next)
        return p - self.lr * m_bar / (np.sqrt(v / (1 - b2 ** t)) + 1e-8)


def run_reference(rule, steps=STEPS, params=None):
    params = params or [W0.copy(), B0.copy()]
    trajectory = []
    for _ in range(steps):
        params = rule.step(params, numpy_grads(*params))
        trajectory.append([p.copy() for p in params])
    return trajectory


def run_compiled(f, w, b, steps=STEPS):
    trajectory = []
    for _ in range(steps):
        f([X, Y])
        trajectory.append([K.get_value(w), K.get_value(b)])
    return trajectory


def assert_same_trajectory(got, expected, rtol=1e-9, atol=1e-12):
    for step, (g, e) in enumerate(zip(got, expected, strict=True)):
        for name, gv, ev in zip("Wb", g, e, strict=True):
            np.testing.assert_allclose(gv, ev, rtol=rtol, atol=atol,
                                       err_msg=f"param {name} after step {step + 1}")


CASES = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.05}),
    ("SGD", {"lr": 0.2, "clipnorm": 0.5}),
    ("SGD", {"lr": 0.2, "clipvalue": 0.1}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "rho": 0.8, "decay": 0.1, "epsilon": 1e-4}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "decay": 0.2, "clipnorm": 0.3}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.9, "decay": 0.1, "epsilon": 1e-6}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "beta_1": 0.8, "beta_2": 0.99, "decay": 0.02}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "decay": 0.1, "clipvalue": 0.2}),
    ("Nadam", {}),
    ("Nadam", {"lr": 0.01, "schedule_decay": 0.05, "clipnorm": 0.4}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_first_steps_match_keras_rule_in_numpy(float64, name, kwargs):
    opt = getattr(optimizers, name)(**kwargs)
    f, w, b = compile_step(opt)
    assert_same_trajectory(run_compiled(f, w, b), run_reference(NumpyRule(name, **kwargs)))
    assert K.get_value(opt.iterations) == STEPS


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax",
                                  "Nadam"])
def test_constraint_sees_the_new_value_in_both_call_orders(float64, name):
    kwargs = {"lr": 0.3} if name != "Adadelta" else {}
    for keras2 in (False, True):
        opt = getattr(optimizers, name)(**kwargs)
        f, w, b = compile_step(opt, constraints.NonNeg(), keras2=keras2)
        got = run_compiled(f, w, b)
        assert_same_trajectory(got, run_reference(NumpyRule(name, nonneg_w=True, **kwargs)))
        assert (got[-1][0] >= 0).all() and (got[-1][0] == 0).any()


def test_clipnorm_uses_the_global_norm_and_leaves_small_gradients_alone(float64):
    g = [np.array([[3.0, 0.0]]), np.array([4.0])]  # global norm 5
    for clipnorm, scale in ((1.0, 0.2), (10.0, 1.0)):
        opt = optimizers.SGD(clipnorm=clipnorm)
        v1, v2 = K.variable(np.zeros((1, 2))), K.variable(np.zeros(1))
        loss = K.sum(v1 * K.constant(g[0])) + K.sum(v2 * K.constant(g[1]))
        got = K.function([], opt.get_gradients(loss, [v1, v2]))([])
        np.testing.assert_allclose(got[0], g[0] * scale)
        np.testing.assert_allclose(got[1], g[1] * scale)


def test_float32_parameters_stay_float32():
    opt = optimizers.Adam(lr=0.05)
    f, w, b = compile_step(opt)
    got = run_compiled(f, w, b)
    assert got[-1][0].dtype == np.float32 and got[-1][1].dtype == np.float32
    assert all(K.dtype(s) == "float32" for s in opt.weights)
    assert_same_trajectory(got, run_reference(NumpyRule("Adam", lr=0.05)), rtol=1e-4,
                           atol=1e-5)


# ------------------------------------------------------------ live hyperparameters


def test_set_value_on_lr_changes_the_next_step_of_a_compiled_function(float64):
    opt = optimizers.SGD(lr=0.1, momentum=0.5)
    f, w, b = compile_step(opt)
    first = run_compiled(f, w, b, steps=3)
    K.set_value(opt.lr, 0.02)
    second = run_compiled(f, w, b, steps=3)
    rule = NumpyRule("SGD", lr=0.1, momentum=0.5)
    expected = run_reference(rule, steps=3)
    rule.lr = 0.02
    expected += run_reference(rule, steps=3, params=[p.copy() for p in expected[-1]])
    assert_same_trajectory(first + second, expected)


def test_learning_rate_is_an_alias_of_lr(float64):
    opt = optimizers.Adam(learning_rate=0.005)
    assert opt.learning_rate is opt.lr
    assert K.get_value(opt.lr) == pytest.approx(0.005)
    lr_variable = opt.lr
    opt.learning_rate = 0.25  # a number sets the value of the same variable
    assert opt.lr is lr_variable and K.get_value(lr_variable) == pytest.approx(0.25)
    opt.lr = 0.5
    assert K.get_value(opt.learning_rate) == pytest.approx(0.5)
    assert optimizers.SGD(0.3).get_config()["lr"] == pytest.approx(0.3)
    with pytest.raises(TypeError, match="pass the learning rate once"):
        optimizers.SGD(lr=0.1, learning_rate=0.2)


def test_unknown_keyword_is_rejected_by_name():
    with pytest.raises(TypeError, match="Unexpected keyword argument passed to optimizer "
                                        "Adam: 'momentum'"):
        optimizers.Adam(momentum=0.9)


# ------------------------------------------------------------ state


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"momentum": 0.9, "decay": 0.1}), ("RMSprop", {"decay": 0.1}),
    ("Adagrad", {"decay": 0.1}), ("Adadelta", {"decay": 0.1}), ("Adam", {"decay": 0.1}),
    ("Adam", {"amsgrad": True}), ("Adamax", {"decay": 0.1}), ("Nadam", {}),
])
def test_set_weights_restores_state_so_the_next_steps_repeat(float64, name, kwargs):
    opt = getattr(optimizers, name)(lr=0.05, **kwargs)
    assert opt.get_weights() == []
    f, w, b = compile_step(opt)
    run_compiled(f, w, b, steps=4)
    saved_state = opt.get_weights()
    saved_params = [K.get_value(w), K.get_value(b)]
    assert opt.weights[0] is opt.iterations and saved_state[0] == 4
    after = run_compiled(f, w, b, steps=3)
    K.set_value(w, saved_params[0])
    K.set_value(b, saved_params[1])
    opt.set_weights(saved_state)
    assert_same_trajectory(run_compiled(f, w, b, steps=3), after, rtol=0, atol=0)


def test_set_weights_accepts_keras12_lists_and_rejects_bad_ones(float64):
    opt = optimizers.RMSprop()
    compile_step(opt)
    full = opt.get_weights()
    assert [v.shape for v in full] == [(), (3, 2), (2,)]
    opt.set_weights([np.ones((3, 2)), np.ones(2)])  # Keras 1.2's list: no iterations
    np.testing.assert_array_equal(K.get_value(opt.weights[1]), np.ones((3, 2)))
    with pytest.raises(ValueError, match="expected 3 arrays .* got 4"):
        opt.set_weights(full + [np.ones(2)])
    with pytest.raises(ValueError, match=r"weight 1 has shape \(3, 2\), not compatible with "
                                         r"the provided weight shape \(2, 3\)"):
        opt.set_weights([full[0], np.ones((2, 3)), full[2]])


# ------------------------------------------------------------ config and lookup

CONFIGURED = [
    optimizers.SGD(lr=0.1, momentum=0.9, decay=0.01, nesterov=True, clipnorm=1.0),
    optimizers.RMSprop(lr=0.01, rho=0.8, epsilon=1e-6, decay=0.1, clipvalue=0.5),
    optimizers.Adagrad(lr=0.05, epsilon=1e-6, decay=0.1),
    optimizers.Adadelta(lr=0.5, rho=0.9, epsilon=1e-6, decay=0.1),
    optimizers.Adam(lr=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, decay=0.1, amsgrad=True),
    optimizers.Adamax(lr=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, decay=0.1),
    optimizers.Nadam(lr=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, schedule_decay=0.01),
]


@pytest.mark.parametrize("opt", CONFIGURED, ids=lambda o: type(o).__name__)
def test_get_config_round_trips(opt):
    config = opt.get_config()
    assert "name" not in config
    for key, value in config.items():
        assert value == pytest.approx(value) and not isinstance(value, np.ndarray), key
    again = type(opt).from_config(config)
    assert again.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == config
    assert type(optimizers.get({"name": type(opt).__name__, **config})) is type(opt)


def test_config_holds_the_values_given():
    config = optimizers.SGD(lr=0.1, momentum=0.9, decay=0.01, nesterov=True,
                            clipnorm=1.0).get_config()
    assert config == {"lr": pytest.approx(0.1), "momentum": pytest.approx(0.9),
                      "decay": pytest.approx(0.01), "nesterov": True, "clipnorm": 1.0}
    assert "clipnorm" not in optimizers.Adam().get_config()


@pytest.mark.parametrize(("name", "cls", "lr"), [
    ("sgd", optimizers.SGD, 0.01), ("RMSprop", optimizers.RMSprop, 0.001),
    ("ADAGRAD", optimizers.Adagrad, 0.01), ("adadelta", optimizers.Adadelta, 1.0),
    ("Adam", optimizers.Adam, 0.001), ("adamax", optimizers.Adamax, 0.002),
    ("nadam", optimizers.Nadam, 0.002),
])
def test_get_by_name_builds_keras12_defaults(name, cls, lr):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert K.get_value(opt.lr) == pytest.approx(lr)
    if hasattr(opt, "epsilon"):
        assert opt.epsilon == 1e-8


def test_get_accepts_instances_dicts_and_kwargs():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    built = optimizers.get({"class_name": "SGD", "config": {"lr": 0.5}})
    assert type(built) is optimizers.SGD and K.get_value(built.lr) == pytest.approx(0.5)
    built = optimizers.get("sgd", kwargs={"momentum": 0.7})
    assert K.get_value(built.momentum) == pytest.approx(0.7)
    assert optimizers.sgd is optimizers.SGD and optimizers.adam is optimizers.Adam


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamw' .*known: adadelta, "
                                         "adagrad, adam, adamax, nadam, rmsprop, sgd"):
        optimizers.get("adamw")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)


def test_custom_objects_resolve_in_deserialize():
    class MySGD(optimizers.SGD):
        pass

    opt = optimizers.deserialize({"class_name": "MySGD", "config": {"lr": 0.2}},
                                 custom_objects={"MySGD": MySGD})
    assert type(opt) is MySGD


# ------------------------------------------------------------ get_updates call forms


def test_get_updates_rejects_malformed_calls(float64):
    opt = optimizers.SGD()
    w, b, _, _, loss = symbolic_problem()
    with pytest.raises(TypeError, match="needs the parameters and the loss"):
        opt.get_updates([w, b])
    with pytest.raises(TypeError, match="constraints must be a dict"):
        opt.get_updates([w, b], [None], loss)
    with pytest.raises(TypeError, match="params must be a list of variables, got"):
        opt.get_updates(loss, w)
    pairs = opt.get_updates(params=[w, b], loss=loss)
    assert pairs is opt.updates and pairs[0][0] is opt.iterations


def test_collect_updates_calls_user_optimizers_in_their_own_order(float64):
    calls = []

    class Keras1Style(optimizers.Optimizer):
        def get_updates(self, params, constraints, loss):
            calls.append(("keras1", len(params), constraints))
            return []

    class Keras2Style(optimizers.Optimizer):
        def get_updates(self, loss, params):
            calls.append(("keras2", len(params)))
            return []

    w, b, _, _, loss = symbolic_problem()
    optimizers.collect_updates(Keras1Style(), [w, b], None, loss)
    optimizers.collect_updates(Keras2Style(), [w, b], {}, loss)
    assert calls == [("keras1", 2, {}), ("keras2", 2)]
    opt = optimizers.Adam()
    assert optimizers.collect_updates(opt, [w, b], {}, loss) is opt.updates


def test_base_optimizer_has_no_rule_and_no_learning_rate(float64):
    opt = optimizers.Optimizer(clipnorm=1.0)
    assert not hasattr(opt, "lr") and opt.get_config() == {"clipnorm": 1.0}
    w, b, _, _, loss = symbolic_problem()
    with pytest.raises(NotImplementedError, match="Optimizer does not define an update rule"):
        opt.get_updates([w, b], {}, loss)


def test_a_parameter_the_loss_does_not_use_is_named_in_the_error(float64):
    w, b, _, _, loss = symbolic_problem()
    unused = K.variable(np.zeros(2), name="unused_bias")
    with pytest.raises(Exception, match="does not depend on unused_bias"):
        optimizers.SGD().get_updates([w, b, unused], {}, loss)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "fast", [0.1]])
def test_a_learning_rate_that_is_not_a_finite_number_is_refused(bad):
    with pytest.raises(ValueError, match=r"SGD: the learning rate must be a finite number, got "):
        optimizers.SGD(lr=bad)
    opt = optimizers.Adam(learning_rate=0.01)
    with pytest.raises(ValueError, match=r"Adam: the learning rate must be a finite number"):
        opt.lr = bad
    assert float(K.get_value(opt.lr)) == pytest.approx(0.01)
