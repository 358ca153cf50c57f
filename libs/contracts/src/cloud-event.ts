/** A CloudEvents 1.0 event in structured JSON form, as upstream systems publish it. */
export interface CloudEvent<TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: TData;
}
