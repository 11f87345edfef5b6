import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'endpoint' })
export class EndpointEntity {
  @PrimaryColumn({ name: 'organ_id', type: 'text' }) organId!: string;
  @Column({ name: 'code_qd20', type: 'text', nullable: true }) codeQd20!: string | null;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) category!: string;
  @Column({ type: 'text' }) transport!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  @Column({ name: 'signature_policy', type: 'text', default: 'strict' }) signaturePolicy!: string;
  @Column({ name: 'bridge_auth', type: 'text', default: 'hmac' }) bridgeAuth!: string;
  @Column({ name: 'broker_user', type: 'text', nullable: true }) brokerUser!: string | null;
  @Column({ name: 'provisioned_at', type: 'timestamptz', nullable: true }) provisionedAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}

@Entity({ name: 'organ_alias' })
export class OrganAliasEntity {
  @PrimaryColumn({ name: 'closed_code', type: 'text' }) closedCode!: string;
  @Column({ name: 'successor_code', type: 'text' }) successorCode!: string;
  @Column({ name: 'effective_from', type: 'date', nullable: true }) effectiveFrom!: string | null;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
}

@Entity({ name: 'endpoint_change' })
export class EndpointChangeEntity {
  @PrimaryColumn({ type: 'bigint', generated: 'increment' }) id!: string;
  @Column({ name: 'organ_id', type: 'text' }) organId!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'timestamptz' }) at!: Date;
}
