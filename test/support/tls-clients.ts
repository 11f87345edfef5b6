import axios, { type AxiosInstance } from 'axios';
import { Agent as HttpsAgent } from 'node:https';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * HTTP clients that trust the test PKI's roots, as a province's system configured with the
 * government's roots does: a fetch (axis SDK client, REST) and an axios instance (node-soap).
 */
export function trustingFetch(caPem: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: caPem, servername: 'localhost' } });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

export function trustingAxios(caPem: string): AxiosInstance {
  return axios.create({ httpsAgent: new HttpsAgent({ ca: caPem, servername: 'localhost' }) });
}
