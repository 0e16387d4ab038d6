"""keras_front.datasets: Keras 1.2.2's datasets read from Keras's cache, and the UCI
digits shipped with keras_front.

    from keras_front.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

mnist, cifar10, cifar100, imdb and reuters read the files Keras 1.2.2 (or Keras 2)
downloaded to ~/.keras/datasets (or $KERAS_HOME/datasets), and download them when
absent; `digits` needs no download. Cached pickles are read without running code from
them (keras_front.datasets.cache).
"""

from . import cifar10, cifar100, digits, imdb, mnist, reuters
