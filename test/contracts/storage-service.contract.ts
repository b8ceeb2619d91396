// Moved to src/testing/contracts/ (published as `imagehost/testing`); edit it there.
export * from '../../src/testing/contracts/storage-service.contract.js';
