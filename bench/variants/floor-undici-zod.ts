// Floor (not product code): both floors in one process (undici's one GET, zod's schema and parse).
import './floor-undici.js';
import './floor-zod.js';
