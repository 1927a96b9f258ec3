"""Build script for pyredcache's Cython extensions (pyredcache/_speedups/*.pyx).

Knobs: PYREDCACHE_CYTHON_DEBUG=1 (line tracing + annotate), PYREDCACHE_CYTHON_ANNOTATE=1.
"""
import glob
import os

from Cython.Build import cythonize
from setuptools import Extension, setup

debug = os.environ.get("PYREDCACHE_CYTHON_DEBUG") == "1"
annotate = debug or os.environ.get("PYREDCACHE_CYTHON_ANNOTATE") == "1"

macros = [("CYTHON_TRACE", "1")] if debug else []
extensions = [
    Extension(
        "pyredcache._speedups." + os.path.splitext(os.path.basename(path))[0],
        [path],
        define_macros=macros,
        extra_compile_args=["-O2"],
    )
    for path in sorted(glob.glob("pyredcache/_speedups/*.pyx"))
]

directives = {"language_level": "3", "embedsignature": True}
if debug:
    directives["linetrace"] = True

setup(ext_modules=cythonize(extensions, compiler_directives=directives, annotate=annotate))
