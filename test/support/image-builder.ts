/** The project's own tests use the builders published in `imagehost/testing`. */
export * from '../../src/testing/image-builder.js';
