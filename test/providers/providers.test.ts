import {describe, expect, it} from 'vitest'
import {recognizeProvider} from '../../src/providers/index.js'

const none = {chain: []}

describe('recognizeProvider', () => {
  it('recognizes providers by host name', () => {
    expect(recognizeProvider({host: 'mydb.abc123xyz.eu-west-1.rds.amazonaws.com', ...none})).toMatchObject({
      id: 'aws-rds',
      recognizedBy: 'host name mydb.abc123xyz.eu-west-1.rds.amazonaws.com',
      caBundle: {file: 'global-bundle.pem', url: 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem'},
    })
    expect(recognizeProvider({host: 'srv.postgres.database.azure.com', ...none})?.id).toBe('azure')
    expect(recognizeProvider({host: 'pg-1234-proj.aivencloud.com', ...none})?.id).toBe('aiven')
    expect(recognizeProvider({host: 'db.abcdefgh.supabase.co', ...none})?.id).toBe('supabase')
    expect(recognizeProvider({host: 'aws-0-us-east-1.pooler.supabase.com', ...none})?.id).toBe('supabase')
  })

  it('recognizes providers by the chain when the host is an address', () => {
    expect(
      recognizeProvider({
        host: '10.1.2.3',
        chain: [{subject: 'CN=my-project:my-instance', issuer: 'CN=Google Cloud SQL Server CA, O=Google, Inc, C=US'}],
      }),
    ).toMatchObject({id: 'gcp-cloudsql', recognizedBy: 'certificate "Google Cloud SQL Server CA"'})
    expect(
      recognizeProvider({
        host: '127.0.0.1',
        chain: [{subject: 'CN=x', issuer: 'C=US, O=Amazon.com, CN=Amazon RDS eu-west-1 Root CA RSA2048 G1'}],
      })?.id,
    ).toBe('aws-rds')
    expect(
      recognizeProvider({
        host: '127.0.0.1',
        chain: [{subject: 'CN=db', issuer: 'O=Supabase Inc, CN=Supabase Root 2021 CA'}],
      })?.id,
    ).toBe('supabase')
  })

  it('does not guess', () => {
    expect(
      recognizeProvider({host: 'localhost', chain: [{subject: 'CN=localhost', issuer: 'CN=db-doctor Test Root CA'}]}),
    ).toBeNull()
    expect(recognizeProvider({host: 'rds.amazonaws.com.evil.example', ...none})).toBeNull()
    expect(recognizeProvider({host: null, chain: []})).toBeNull()
  })
})
