import type { ApiReply } from './message-desk.js'

/** A member as user/get describes them; what is left out is absent from the reply. */
export interface SimulatedMember {
  userid: string
  name?: string
  department?: number[]
  mainDepartment?: number
  position?: string
  /** False: the member exists but is outside the app's visible scope (60011). */
  visible?: boolean
  /** Merged into the reply last, as given: odd shapes for tolerance tests. */
  extra?: Record<string, unknown>
}

/** A few members with Chinese names, always present. */
export const SEED_MEMBERS: readonly SimulatedMember[] = [
  { userid: 'zhangsan', name: '张三', department: [1, 2], mainDepartment: 2, position: '产品经理' },
  { userid: 'lisi', name: '李四', department: [3], mainDepartment: 3, position: '' },
  { userid: 'chenjiashun', name: '陈家顺', department: [2], mainDepartment: 2, position: '财务' },
  { userid: 'wangwu', name: '王五', department: [9], mainDepartment: 9, visible: false },
]

/**
 * The user/get half of WeCom, as a self-built app created after 2022-06-20 sees it: no
 * mobile, email, avatar, gender or address. Lookups ignore case, as WeCom's do.
 */
export class MemberDirectory {
  readonly #members = new Map<string, SimulatedMember>()

  constructor(userIds: readonly string[]) {
    for (const userid of userIds) this.add({ userid, name: userid, department: [1] })
    for (const member of SEED_MEMBERS) this.add(member)
  }

  add(member: SimulatedMember): void {
    this.#members.set(member.userid.toLowerCase(), { ...member })
  }

  get(userId: string | undefined): ApiReply {
    if (userId === undefined || userId === '') return { errcode: 41009, errmsg: 'missing userid' }
    const member = this.#members.get(userId.toLowerCase())
    if (!member) return { errcode: 60111, errmsg: 'userid not found' }
    if (member.visible === false)
      return { errcode: 60011, errmsg: 'no privilege to access/modify contact/party/agent' }

    const reply: ApiReply = { errcode: 0, errmsg: 'ok', userid: member.userid }
    if (member.name !== undefined) reply.name = member.name
    if (member.department !== undefined) {
      reply.department = member.department
      reply.order = member.department.map(() => 0)
      reply.is_leader_in_dept = member.department.map(() => 0)
    }
    if (member.mainDepartment !== undefined) reply.main_department = member.mainDepartment
    if (member.position !== undefined) reply.position = member.position
    return { ...reply, status: 1, direct_leader: [], alias: '', telephone: '', ...member.extra }
  }
}
