// Floor (not product code): nothing at all. Imported through the cold probe like every floor, it
// gives what the probe itself costs over `node -e` (a file entry, Node's ESM loader, the probe's
// own imports): the part of every subject's time that is not the bundle's.
export {};
