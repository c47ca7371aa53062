"""The tools every jitted function of the package is built with: the jit options and
numeric helpers (`tools`), the arithmetic modes (`arithmetic`), the floating-point
control word (`fp_control`) and the on-disk cache stamp (`stamp`), installed here so
it is in place before any cached function loads."""

from adagrad_lab.jit.stamp import install_locators

install_locators()
