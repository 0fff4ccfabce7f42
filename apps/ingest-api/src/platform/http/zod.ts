import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// One place adds .openapi() to zod, before any schema is declared; every module imports z from here.
extendZodWithOpenApi(z);

export { z };
