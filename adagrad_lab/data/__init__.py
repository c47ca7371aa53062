"""Learning problems' data: generated, bundled with scikit-learn or read from a file; split,
scaled and packed for the kernel; f* by a high-accuracy solve."""
