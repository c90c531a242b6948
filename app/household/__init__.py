"""The household: children, address (→ 町丁目/area) and MyNa Portal import. The わたしのデータ tab."""
