//! One named test per class of issue 19.
