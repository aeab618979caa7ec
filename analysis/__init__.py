"""operando-xrd numeric core: readers, series model, fitting, crystallography, transitions.

Plain scientific Python (numpy, scipy, lmfit, h5py); never imports Qt.
"""
