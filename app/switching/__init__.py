"""One-stop switching: imports, converters, the transfer saga and contracts. The のりかえ tab."""
