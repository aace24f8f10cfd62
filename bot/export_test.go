package bot

// ModulesPNG is modulesPNG, for BenchmarkQR.
var ModulesPNG = modulesPNG
